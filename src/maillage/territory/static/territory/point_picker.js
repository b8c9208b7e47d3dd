// Placing a point on a map (territory/_point_picker.html): a click fills the latitude
// and longitude fields; typing in them moves the marker. The fields stay the keyboard and
// screen-reader way to give the point.
document.querySelectorAll("[data-point-picker]").forEach(function (element) {
  if (!window.L) { return; }
  var latitude = document.getElementById(element.dataset.latitude);
  var longitude = document.getElementById(element.dataset.longitude);
  if (!latitude || !longitude) { return; }
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tiles, { attribution: element.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  var marker = null;
  function place(lat, lon, move) {
    if (marker) { marker.setLatLng([lat, lon]); }
    else {
      marker = L.marker([lat, lon], {
        icon: L.divIcon({ className: "map-pin map-pin-centre", iconSize: [20, 20] }), keyboard: false
      }).addTo(map);
    }
    if (move) { map.setView([lat, lon], 16); }
  }
  function fromFields(move) {
    var lat = parseFloat(latitude.value.replace(",", "."));
    var lon = parseFloat(longitude.value.replace(",", "."));
    if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      place(lat, lon, move);
      return true;
    }
    return false;
  }
  if (!fromFields(true)) { map.setView([46.6, 2.4], 5); }
  map.on("click", function (event) {
    latitude.value = event.latlng.lat.toFixed(6);
    longitude.value = event.latlng.lng.toFixed(6);
    place(event.latlng.lat, event.latlng.lng, false);
  });
  latitude.addEventListener("change", function () { fromFields(true); });
  longitude.addEventListener("change", function () { fromFields(true); });
});
