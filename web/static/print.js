// "Print this page" buttons: a file of the site's own, since the Content-Security-Policy allows no inline script.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
