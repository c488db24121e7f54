// Send money abroad: choosing the recipient's country picks its currency for "recipient gets" (the
// customer can still change it), and the sender's and recipient's address fields appear as soon as the amount
// (converted to EUR at the reference rates the page was given) reaches the threshold that needs
// them, and hide again below it unless something was typed in them. Without this script the server
// asks for them; it is the one that decides.
const form = document.querySelector("form.international-form");

function parseAmount(text) {
  const raw = String(text || "").trim().replaceAll(",", "");
  return /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : null;
}

if (form) {
  const rates = JSON.parse(form.dataset.perEur || "{}");
  const amount = form.querySelector("input[name=amount]");
  const currency = form.querySelector("select[name=from_currency]");
  const threshold = Number(amount?.dataset.fullDetailsFromEur || "0"); // EUR minor units (cents)
  const wrappers = [...form.querySelectorAll("[data-address-field]")];

  const update = () => {
    const value = parseAmount(amount.value);
    const perEur = Number(rates[currency.value] || "0");
    const needed = value !== null && perEur > 0 && threshold > 0 && Math.round((value / perEur) * 100) >= threshold;
    for (const wrapper of wrappers) {
      const input = wrapper.querySelector("input, textarea");
      const keep = input && input.value.trim() !== "";
      const invalid = wrapper.classList.contains("field-error");
      wrapper.hidden = !(needed || keep || invalid);
      if (input) input.required = needed;
    }
  };
  if (amount && currency && wrappers.length) {
    amount.addEventListener("input", update);
    currency.addEventListener("change", update);
    update();
  }
}

if (form) {
  const currencies = JSON.parse(form.dataset.countryCurrencies || "{}");
  const country = form.querySelector("select[name=recipient_country]");
  const target = form.querySelector("select[name=to_currency]");
  if (country && target) {
    country.addEventListener("change", () => {
      const currency = currencies[country.value];
      if (currency && [...target.options].some((option) => option.value === currency)) {
        target.value = currency;
      }
    });
  }
}
