"""Where a person's home is: typed, or placed on a map when tiles are configured."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.people.helpers import person_post_data


def post(client, person, **changes):
    data = person_post_data(person, **changes)
    data["reason"] = "Nouvelle adresse"
    return client.post(reverse("people:edit", args=[person.pk]), data)


def test_the_home_point_is_kept(as_reception, person):
    response = post(as_reception, person, latitude="48,9362", longitude="2.3574")
    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert (person.latitude, person.longitude) == (48.9362, 2.3574)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"latitude": "48.9", "longitude": ""}, "longitude"),
        ({"latitude": "148.9", "longitude": "2.3"}, "latitude"),
        ({"latitude": "48.9", "longitude": "nord"}, "longitude"),
    ],
)
def test_a_wrong_point_is_said_and_kept(as_reception, person, values, field):
    response = post(as_reception, person, **values)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_the_map_picker_shows_only_with_tiles(as_reception, person):
    url = reverse("people:edit", args=[person.pk])
    assert "data-point-picker" not in as_reception.get(url).content.decode()
    with override_settings(MAP_TILES_URL="/tiles/{z}/{x}/{y}.png"):
        assert "data-point-picker" in as_reception.get(url).content.decode()
