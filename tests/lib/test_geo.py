import pytest

from maillage.lib import geo

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[2.30, 48.90], [2.40, 48.90], [2.40, 48.96], [2.30, 48.96], [2.30, 48.90]],
        [[2.34, 48.92], [2.36, 48.92], [2.36, 48.94], [2.34, 48.94], [2.34, 48.92]],
    ],
}


def test_distance_between_two_known_places():
    # Saint-Denis basilica to Notre-Dame de Paris: about 9 km.
    assert geo.distance_km(48.9356, 2.3597, 48.8530, 2.3499) == pytest.approx(9.2, abs=0.2)
    assert geo.distance_km(48.9, 2.3, 48.9, 2.3) == 0


def test_a_bounding_box_holds_the_circle():
    lat_min, lat_max, lon_min, lon_max = geo.bounding_box(48.93, 2.35, 3)
    east = geo.distance_km(48.93, 2.35, 48.93, lon_max)
    north = geo.distance_km(48.93, 2.35, lat_max, 2.35)
    assert east == pytest.approx(3, abs=0.01) and north == pytest.approx(3, abs=0.01)
    assert lat_min < 48.93 < lat_max and lon_min < 2.35 < lon_max


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [(48.91, 2.31, True), (48.93, 2.35, False), (48.97, 2.35, False), (48.95, 2.39, True)],
)
def test_points_in_an_area_with_a_hole(lat, lon, inside):
    assert geo.contains(SQUARE, lat, lon) is inside
    feature = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": SQUARE}]}
    assert geo.contains(feature, lat, lon) is inside


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (SQUARE, None),
        ({"type": "Point", "coordinates": [2.3, 48.9]}, "no_polygon"),
        ("nonsense", "no_polygon"),
        ({"type": "Polygon", "coordinates": [[[2.3, 48.9], [2.4, 48.9]]]}, "short_ring"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[2.3, 148.9], [2.4, 48.9], [2.4, 49], [2.3, 48.9]]],
            },
            "bad_point",
        ),
    ],
)
def test_checking_an_area(value, problem):
    assert geo.check_area(value) == problem


def test_points_from_a_csv():
    text = "\ufeffcodgeo,lat,lon\n93066,48.93,2.35\n,1,2\n93001,95,2\n\n93070,48.91,abc\n"
    points, problems = geo.read_points_csv(text)
    assert points == [("93066", 48.93, 2.35)]
    assert problems == [(3, "no_code"), (4, "bad_point"), (6, "bad_point")]
    assert geo.read_points_csv("a,b\n1,2\n") == ([], [(1, "no_columns")])
    assert geo.read_points_csv("") == ([], [(0, "no_columns")])
