"""Plain-French explanations for the codes returned by ``maillage.lib`` rules."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DATE_MESSAGES = {
    "date_invalid": _("This date does not exist. Check the day and the month."),
    "date_future": _("The date of birth cannot be in the future."),
    "date_day_without_month": _("A day without a month cannot be used: write 00 for the day too."),
    "date_two_digit_year": _("Write the year with four digits, for example 1985."),
    "date_unparseable": _(
        "Write the date as day/month/year, for example 12/03/1985. "
        "If the day or the month is unknown, write 00: 00/03/1985 or 00/00/1985."
    ),
}

NIR_MESSAGES = {
    "length": _(
        "A social security number has 15 characters: 13 for the number "
        "(2A or 2B for people born in Corsica) and 2 for the key."
    ),
    "format": _(
        "A social security number is made of digits only, except 2A or 2B for "
        "people born in Corsica."
    ),
    "key": _(
        "The key (the last two digits) does not match the number: with these 13 "
        "characters it should be %(expected)s, and %(given)s was typed. One digit "
        "is probably wrong: check it against the card or the certificate."
    ),
    "nir_invalid": _("This social security number is not valid."),
    "nir_sex_mismatch": _(
        "The first digit of the number (1 for a man, 2 for a woman) does not match the sex entered."
    ),
    "nir_year_mismatch": _(
        "Digits 2 and 3 of the number give the year of birth; they do not match the "
        "date of birth entered."
    ),
    "nir_month_mismatch": _(
        "Digits 4 and 5 of the number give the month of birth; they do not match the "
        "date of birth entered."
    ),
}

STATUS_MESSAGES = {
    "status_requires_high_trust_document": _(
        "This status needs a high-trust identity document checked in person: identity "
        "card, passport or residence permit (for a minor, a family record book or a birth "
        "certificate with the legal representative's identity document)."
    ),
    "status_requires_document_checked": _(
        "This status needs the identity document to have been checked."
    ),
    "status_requires_ins": _(
        "This status needs the national health identifier (INS) retrieved through the INSi service."
    ),
    "status_requires_nir": _(
        "This status needs the social security number, which is the INS number."
    ),
    "declared_identity_must_be_provisional": _(
        "An identity declared without documents or a pseudonym stays provisional."
    ),
    "doubtful_identity_must_be_provisional": _("A doubtful identity stays provisional."),
    "fictitious_identity_must_be_provisional": _("A fictitious identity stays provisional."),
    "status_requires_legal_representative_document": _(
        "For a minor, a family record book or a birth certificate only counts with the "
        "identity document of the legal representative, checked too."
    ),
    "unknown_status": _("Unknown identity status."),
}

MATCH_REASONS = {
    "names_same": _("same names"),
    "names_similar": _("similar names"),
    "names_transposed": _("first and last names swapped"),
    "names_different": _("different names"),
    "used_name_matches": _("matches the used name"),
    "given_name_similar": _("similar given name"),
    "birth_date_same": _("same date of birth"),
    "birth_date_partial": _("compatible partial date of birth"),
    "birth_date_day_month_swapped": _("day and month of birth swapped"),
    "birth_date_one_digit": _("date of birth differs by one digit"),
    "birth_date_different": _("different date of birth"),
    "birth_date_unknown": _("date of birth unknown on one side"),
    "sex_same": _("same sex"),
    "sex_different": _("different sex"),
    "nir_same": _("same social security number"),
    "nir_different": _("different social security numbers"),
    "phone_same": _("same phone number"),
    "birth_place_same": _("same place of birth"),
    "birth_place_different": _("different place of birth"),
}
