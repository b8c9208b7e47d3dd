"""Documents: upload typed from the bytes, list, download through the policy, audit."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.people.actions import do_register_person
from maillage.people.models import Person
from maillage.record import actions
from maillage.record.document_forms import check_content, download_name
from maillage.record.models import BreakGlass, Document, Entry
from tests.conftest import client_for, make_member
from tests.record.files import tiny_docx, tiny_exe, tiny_heif, tiny_pdf, tiny_png

pytestmark = pytest.mark.usefixtures("remove_stored_files")

A = AccessEvent.Action


def named(value):
    """Test ids from the file names and types, never from the bytes."""
    return value if isinstance(value, str) else ""


def file_errors(response):
    """The codes of the errors on the file field of the re-rendered form."""
    return [e.code for e in response.context["form"].errors.as_data().get("file", [])]


def upload(client, person, name, content, **fields):
    data = {
        "doc_type": "lab_result",
        "title": "Bilan sanguin de mars",
        "section": "clinical",
        "file": SimpleUploadedFile(name, content),
    }
    data.update(fields)
    return client.post(reverse("record:document_add", args=[person.pk]), data)


def add_document(member, person, *, section=Section.CLINICAL, name="bilan.pdf", content=None):
    return actions.do_add_document(
        record_access(member, person),
        section=section,
        doc_type="lab_result",
        title="Bilan",
        content=content or tiny_pdf(),
        original_name=name,
        content_type="application/pdf",
    )


# --- Upload ------------------------------------------------------------------------------


def test_it_stores_a_real_pdf_outside_any_served_folder(as_doctor, doctor, person):
    content = tiny_pdf()
    response = upload(as_doctor, person, "bilan mars.pdf", content, concerns_third_party="on")
    assert response.status_code == 302
    assert response.url == reverse("record:documents", args=[person.pk])
    entry = Entry.objects.get(person=person, kind="document")
    document = entry.document
    assert entry.title == "Bilan sanguin de mars"
    assert entry.section == Section.CLINICAL and entry.concerns_third_party
    assert document.content_type == "application/pdf"
    assert document.original_name == "bilan mars.pdf"
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    stored = Path(document.file.path).resolve()
    assert stored.is_relative_to(settings.DATA_DIR / "documents")
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert "bilan" not in stored.name  # the stored name never holds the original name
    assert stored.read_bytes() == content
    assert stored.stat().st_mode & 0o077 == 0  # readable by the service account only
    assert AccessEvent.objects.filter(
        action=A.CREATE, person=person, section=Section.CLINICAL, object_id=str(entry.pk)
    ).exists()


def test_it_refuses_a_png_renamed_pdf_and_keeps_the_other_fields(as_doctor, person):
    response = upload(as_doctor, person, "ordonnance.pdf", tiny_png(), title="Ordonnance X")
    assert response.status_code == 200
    assert file_errors(response) == ["mismatch"]
    body = response.content.decode()
    assert "PNG" in body and "« .pdf »" in body  # the French message (French first)
    assert 'value="Ordonnance X"' in body
    assert not Entry.objects.filter(person=person, kind="document").exists()


@pytest.mark.parametrize("name", ["setup.exe", "facture.pdf", "notes.txt"])
def test_it_refuses_an_executable_whatever_its_name(as_doctor, person, name):
    response = upload(as_doctor, person, name, tiny_exe())
    assert response.status_code == 200
    assert file_errors(response) == ["not_accepted"]
    assert not Entry.objects.filter(person=person, kind="document").exists()


def test_it_accepts_plain_text_even_when_it_begins_like_a_bitmap(as_doctor, person):
    response = upload(as_doctor, person, "notes.txt", "BMI 27, à revoir.\n".encode())
    assert response.status_code == 302
    assert Document.objects.get().content_type == "text/plain"


def test_it_refuses_text_that_is_not_utf8_or_holds_a_nul_byte(as_doctor, person):
    for content in ("café".encode("latin-1"), b"abc\x00def"):
        response = upload(as_doctor, person, "notes.txt", content)
        assert file_errors(response) == ["not_accepted"]
    assert not Document.objects.exists()


def test_it_refuses_an_empty_file(as_doctor, person):
    response = upload(as_doctor, person, "vide.pdf", b"")
    assert response.status_code == 200
    assert file_errors(response) in (["empty"], ["required"])
    assert not Document.objects.exists()


@override_settings(MAX_UPLOAD_MB=1, MAX_UPLOAD_BYTES=1024 * 1024)
def test_it_refuses_a_file_over_the_size_limit_before_it_is_stored(as_doctor, person):
    content = b"a" * (1024 * 1024 + 1)
    response = upload(as_doctor, person, "long.txt", content, title="Trop long")
    assert file_errors(response) == ["required"]  # stopped while read: never stored
    body = response.content.decode()
    assert "1 MB" in body or "1 Mo" in body
    assert 'value="Trop long"' in body
    assert not Document.objects.exists()
    response = upload(as_doctor, person, "juste.txt", b"a" * (1024 * 1024))
    assert response.status_code == 302


def test_uploads_still_need_the_csrf_token(doctor, person):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(doctor.user)
    response = upload(client, person, "bilan.pdf", tiny_pdf())
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_it_offers_only_the_sections_the_member_may_write(as_reception, person):
    page = as_reception.get(reverse("record:document_add", args=[person.pk])).content.decode()
    assert 'value="administrative"' in page and 'value="clinical"' not in page
    response = upload(as_reception, person, "bilan.pdf", tiny_pdf(), section="clinical")
    assert response.status_code == 200
    assert not Document.objects.exists()
    response = upload(as_reception, person, "carte.pdf", tiny_pdf(), section="administrative")
    assert response.status_code == 302


def test_it_refuses_a_document_dated_in_the_future(as_doctor, person):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = upload(as_doctor, person, "bilan.pdf", tiny_pdf(), date=tomorrow.isoformat())
    assert response.status_code == 200
    assert not Document.objects.exists()
    upload(as_doctor, person, "bilan.pdf", tiny_pdf(), date="2024-03-12")
    entry = Entry.objects.get(kind="document")
    assert timezone.localtime(entry.occurred_at).date() == datetime.date(2024, 3, 12)


def test_a_member_without_any_write_right_cannot_add(as_admin, person):
    response = as_admin.get(reverse("record:document_add", args=[person.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("scan.pdf", tiny_pdf(), "application/pdf"),
        ("SCAN.PDF", tiny_pdf(), "application/pdf"),
        ("pixel.png", tiny_png(), "image/png"),
        (
            "courrier.docx",
            tiny_docx(),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ),
        ("photo.heif", tiny_heif(), "image/heif"),
        ("notes.txt", b"Texte simple", "text/plain"),
    ],
    ids=named,
)
def test_it_types_files_from_their_bytes(name, content, expected):
    assert check_content(name, content) == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("pixel.pdf", tiny_png()),
        ("courrier.pdf", tiny_docx()),
        ("scan", tiny_pdf()),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 40),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("inconnu.bin", b"\x01\x02\x03\x04" * 10),
    ],
    ids=named,
)
def test_it_refuses_a_mismatch_or_an_unknown_type(name, content):
    from django import forms

    with pytest.raises(forms.ValidationError):
        check_content(name, content)


def test_download_names_are_safe():
    assert download_name('compte "rendu"\r\n.pdf', "application/pdf") == "compte _rendu.pdf"
    assert download_name("../../etc/passwd", "text/plain") == "passwd.txt"
    assert download_name("photo.exe", "image/png") == "photo.png"
    assert download_name("...", "application/pdf") == "document.pdf"


# --- List ----------------------------------------------------------------------------------


def test_the_list_shows_only_documents_the_member_may_read(
    as_reception, doctor, reception, person, django_assert_max_num_queries
):
    add_document(doctor, person, name="bilan-clinique.pdf")
    add_document(reception, person, section=Section.ADMINISTRATIVE, name="carte-vitale.pdf")
    url = reverse("record:documents", args=[person.pk])
    with django_assert_max_num_queries(20):
        response = as_reception.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "carte-vitale.pdf" in body and "bilan-clinique.pdf" not in body
    reads = AccessEvent.objects.filter(action=A.READ, person=person, actor_member=reception)
    assert set(reads.values_list("section", flat=True)) == {Section.ADMINISTRATIVE}


def test_the_list_links_to_adding_only_for_writers(as_doctor, as_admin, person):
    url = reverse("record:documents", args=[person.pk])
    add_url = reverse("record:document_add", args=[person.pk])
    assert add_url in as_doctor.get(url).content.decode()
    response = as_admin.get(url)
    assert add_url not in response.content.decode()


@pytest.mark.parametrize("who", ["other", "outsider", "person"])
def test_outsiders_see_no_document_list(who, request, doctor, person, person_user):
    add_document(doctor, person)
    client = request.getfixturevalue(f"as_{who}")
    for name in ("record:documents", "record:document_add"):
        response = client.get(reverse(name, args=[person.pk]))
        assert response.status_code == 404
        assert b"bilan.pdf" not in response.content


# --- Download ------------------------------------------------------------------------------


def test_a_reader_downloads_the_file_as_an_attachment_and_it_is_logged(as_doctor, doctor, person):
    content = tiny_pdf("Bilan")
    entry = add_document(doctor, person, name='bilan "mars".pdf', content=content)
    response = as_doctor.get(reverse("record:document_download", args=[entry.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\n" not in disposition and '"mars"' not in disposition
    assert "no-store" in response["Cache-Control"]
    event = AccessEvent.objects.filter(action=A.READ, person=person, object_id=str(entry.pk)).get()
    assert event.section == Section.CLINICAL and event.actor_member == doctor
    assert not event.flagged


def test_text_is_served_as_utf8_text(as_doctor, doctor, person):
    entry = actions.do_add_document(
        record_access(doctor, person),
        section=Section.CLINICAL,
        doc_type="other",
        title="Notes",
        content="Tension à revoir".encode(),
        original_name="notes.txt",
        content_type="text/plain",
    )
    response = as_doctor.get(reverse("record:document_download", args=[entry.pk]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_a_member_who_may_not_read_the_section_gets_404_and_a_logged_denial(
    as_reception, doctor, reception, person
):
    entry = add_document(doctor, person)
    response = as_reception.get(reverse("record:document_download", args=[entry.pk]))
    assert response.status_code == 404
    assert AccessEvent.objects.filter(
        action=A.DENY, person=person, actor_member=reception, section=Section.CLINICAL
    ).exists()
    assert not AccessEvent.objects.filter(action=A.READ, actor_member=reception).exists()


@pytest.mark.parametrize("who", ["other", "outsider", "person"])
def test_outsiders_cannot_download(who, request, doctor, person, person_user):
    entry = add_document(doctor, person)
    client = request.getfixturevalue(f"as_{who}")
    response = client.get(reverse("record:document_download", args=[entry.pk]))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, doctor, person):
    entry = add_document(doctor, person)
    response = client.get(reverse("record:document_download", args=[entry.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_missing_documents_and_other_entries_are_404(as_doctor, doctor, person):
    note = actions.do_add_note(record_access(doctor, person), section="clinical", text="Note")
    for pk in (note.pk, 999_999, 2**63 - 1):
        assert as_doctor.get(reverse("record:document_download", args=[pk])).status_code == 404


def test_a_download_in_an_emergency_is_flagged(centre, person):
    # A centre that is not one care team: the GP is outside this person's team.
    centre.is_care_team = False
    centre.save(update_fields=["is_care_team"])
    author = make_member(centre, "auteur", Role.GP, "medecin_generaliste")
    actions.do_add_to_care_team(author, person, author)
    entry = add_document(author, person)
    urgent = make_member(centre, "urgence", Role.GP, "medecin_generaliste")
    client = client_for(urgent.user)
    url = reverse("record:document_download", args=[entry.pk])
    assert client.get(url).status_code == 404
    BreakGlass.objects.create(
        person=person,
        member=urgent,
        reason="Malaise en salle d'attente",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    response = client.get(url)
    assert response.status_code == 200
    event = AccessEvent.objects.get(action=A.READ, actor_member=urgent, object_id=str(entry.pk))
    assert event.flagged


def test_a_document_of_a_merged_record_is_reached_through_the_kept_one(
    as_doctor, doctor, reception, person
):
    duplicate = do_register_person(
        reception, {"birth_name": "DUPONT", "given_names": "Marie", "sex": "F"}
    )
    entry = add_document(doctor, duplicate)
    Person.objects.filter(pk=duplicate.pk).update(merged_into=person)
    response = as_doctor.get(reverse("record:document_download", args=[entry.pk]))
    assert response.status_code == 200
    assert AccessEvent.objects.filter(action=A.READ, person=person, object_id=str(entry.pk))
