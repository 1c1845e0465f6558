// Progressive enhancement of /lieux: the list works without this file, and without map tiles.
// With JavaScript, a Leaflet map above the list shows one marker per place of the page (read from
// the list's data attributes), and « Autour de moi » searches around the browser's position.
document.addEventListener('DOMContentLoaded', function () {
  var locate = document.querySelector('[data-locate]');
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener('click', function () {
      var form = locate.closest('form');
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          ['lat', 'lon'].forEach(function (name, i) {
            var input = form.querySelector('input[name="' + name + '"]');
            if (!input) {
              input = document.createElement('input');
              input.type = 'hidden';
              input.name = name;
              form.appendChild(input);
            }
            input.value = (i === 0 ? position.coords.latitude : position.coords.longitude).toFixed(5);
          });
          form.submit();
        },
        function () {
          locate.disabled = false;
          locate.textContent = 'Position indisponible : saisissez une commune';
        },
        { timeout: 10000, maximumAge: 600000 },
      );
    });
  }

  var container = document.getElementById('carte-lieux');
  if (!container || !window.L) return;
  var items = Array.prototype.slice.call(document.querySelectorAll('[data-place-id]'));
  var points = items
    .map(function (item) {
      return { id: item.getAttribute('data-place-id'), name: item.getAttribute('data-name'), lat: Number(item.getAttribute('data-lat')), lon: Number(item.getAttribute('data-lon')) };
    })
    .filter(function (p) {
      return isFinite(p.lat) && isFinite(p.lon);
    });
  if (points.length === 0) return;
  container.hidden = false;
  container.setAttribute('role', 'region');
  container.setAttribute('aria-label', 'Carte des lieux de cette page (la liste ci-dessous donne les mêmes informations)');
  var map = window.L.map(container, { scrollWheelZoom: false });
  window.L.tileLayer(container.getAttribute('data-tiles'), { maxZoom: 19, attribution: container.getAttribute('data-attribution') }).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var marker = window.L.circleMarker([p.lat, p.lon], { radius: 8, weight: 2, color: '#1d3f8c', fillColor: '#3a6fd8', fillOpacity: 0.85 }).addTo(map);
    var link = document.createElement('a');
    link.href = '/lieux/' + encodeURIComponent(p.id);
    link.textContent = p.name;
    marker.bindPopup(link);
    marker.getElement && marker.getElement() && marker.getElement().setAttribute('data-marker-for', p.id);
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length === 1) map.setView(bounds[0], 15);
  else map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
});
