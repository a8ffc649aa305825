// Intake form: show the guardian questions only when the date of birth says the client is a minor.
(function () {
  "use strict";
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
