// Maps of the territory (territory/_map.html): markers of places, the drawn areas, the
// search's centre and radius. Without a tile address (MAILLAGE_MAP_TILES_URL) they are drawn
// on a plain background and nothing is fetched from outside. Markers are keyboard
// focusable (Tab, then Enter opens the place); the list beside the map says the same.
document.querySelectorAll("[data-map]").forEach(function (element) {
  if (!window.L) { return; }
  var data = JSON.parse(document.getElementById(element.dataset.map).textContent);
  var map = L.map(element, { scrollWheelZoom: false, keyboard: true });
  if (data.tiles) {
    L.tileLayer(data.tiles, { attribution: data.attribution || "", maxZoom: 19 }).addTo(map);
  }
  var bounds = L.latLngBounds([]);
  (data.areas || []).forEach(function (area) {
    var layer = L.geoJSON(area.geojson, {
      style: { color: "#1d4f91", weight: 2, fillOpacity: 0.08 },
      interactive: false
    }).addTo(map);
    bounds.extend(layer.getBounds());
  });
  if (data.centre) {
    L.circle(data.centre.point, {
      radius: data.centre.km * 1000, color: "#7a4a00", weight: 2, fillOpacity: 0.04, interactive: false
    }).addTo(map);
    L.marker(data.centre.point, {
      icon: L.divIcon({ className: "map-pin map-pin-centre", iconSize: [20, 20] }),
      title: data.centre.label, keyboard: false
    }).addTo(map);
    // A circle's own bounds need a map already in view: compute them from its centre.
    bounds.extend(L.latLng(data.centre.point).toBounds(data.centre.km * 2000));
  }
  (data.points || []).forEach(function (place) {
    var popup = document.createElement("div");
    var link = document.createElement("a");
    link.href = place.url;
    link.textContent = place.name;
    popup.appendChild(link);
    if (place.detail) {
      var detail = document.createElement("p");
      detail.textContent = place.detail;
      popup.appendChild(detail);
    }
    L.marker([place.lat, place.lon], {
      icon: L.divIcon({ className: "map-pin", iconSize: [18, 18] }),
      title: place.name, alt: place.name, keyboard: true, riseOnHover: true
    }).bindPopup(popup).addTo(map);
    bounds.extend([place.lat, place.lon]);
  });
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
  } else {
    map.setView([46.6, 2.4], 5);
  }
});
