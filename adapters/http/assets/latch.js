// Latch: small progressive enhancements. Served from this origin because the
// Content-Security-Policy allows no inline script; every page works without it.

"use strict";

// "Show password": a checkbox (hidden until this script runs) that switches
// its password field between hidden and readable text.
document.querySelectorAll("input[data-reveals]").forEach(function (box) {
  var field = document.getElementById(box.getAttribute("data-reveals"));
  var toggle = box.closest(".password-toggle");
  if (!field || !toggle) {
    return;
  }
  toggle.hidden = false;
  box.addEventListener("change", function () {
    field.type = box.checked ? "text" : "password";
  });
  // Password managers save what is submitted from a password field.
  if (field.form) {
    field.form.addEventListener("submit", function () {
      field.type = "password";
    });
  }
});

// "Print": a button (hidden until this script runs) that prints the page,
// for recovery codes.
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
