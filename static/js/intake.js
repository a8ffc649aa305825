// Intake and location pages: show the emergency numbers of the country the client picks, and the
// guardian questions only when the date of birth says the client is a minor. Without JavaScript
// the server-rendered numbers and all questions stay visible.
(function () {
  "use strict";

  var country = document.getElementById("id_country");
  var places = document.querySelector("[data-emergency-places]");
  if (country && places) {
    var showPlace = function () {
      var blocks = places.querySelectorAll("[data-emergency-country]");
      var match = null;
      var i;
      for (i = 0; i < blocks.length; i += 1) {
        if (blocks[i].getAttribute("data-emergency-country") === country.value) { match = blocks[i]; }
      }
      if (!match) { match = places.querySelector('[data-emergency-country=""]'); }
      for (i = 0; i < blocks.length; i += 1) { blocks[i].hidden = blocks[i] !== match; }
    };
    country.addEventListener("change", showPlace);
    showPlace();
  }

  var fieldset = document.getElementById("guardian-fields");
  var born = document.getElementById("id_date_of_birth");
  if (!fieldset || !born) { return; }
  var majority = parseInt(fieldset.getAttribute("data-majority") || "18", 10);

  function isMinor() {
    if (!born.value) { return false; }
    var birth = new Date(born.value + "T00:00:00");
    var today = new Date();
    var age = today.getFullYear() - birth.getFullYear();
    var monthDiff = today.getMonth() - birth.getMonth();
    if (monthDiff < 0 || (monthDiff === 0 && today.getDate() < birth.getDate())) { age -= 1; }
    return age < majority;
  }

  function update() {
    var hasErrors = fieldset.querySelector(".has-error") !== null;
    fieldset.hidden = !(isMinor() || hasErrors);
  }

  born.addEventListener("change", update);
  born.addEventListener("input", update);
  update();
})();
