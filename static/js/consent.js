// Consent onboarding: show how many sections are acknowledged and enable "accept" when all are.
// The server checks the same rule; without JavaScript the form still works.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-consent-form]");
  if (!form) return;
  const boxes = Array.from(form.querySelectorAll('input[name="acknowledged"]'));
  const submit = form.querySelector("[data-consent-submit]");
  const progress = form.querySelector("[data-consent-progress]");
  const template = (progress && progress.dataset.template) || "{n} / {total}";
  const update = () => {
    const done = boxes.filter((box) => box.checked).length;
    if (progress) progress.textContent = template.replace("{n}", done).replace("{total}", boxes.length);
    if (submit) submit.disabled = done !== boxes.length;
  };
  for (const box of boxes) box.addEventListener("change", update);
  update();
});
