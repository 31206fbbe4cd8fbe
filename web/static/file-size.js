// A file over the upload limit is refused by the server only after the whole body has arrived, and the browser then
// shows the refusal without what the person typed. Say it here, before anything is sent, and keep the form as it is.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var message = document.getElementById(input.id + "-too-large");
    function fits() {
      var file = input.files && input.files[0];
      var tooLarge = Boolean(file) && file.size > Number(input.dataset.maxBytes);
      message.hidden = !tooLarge;
      input.setAttribute("aria-invalid", tooLarge ? "true" : "false");
      return !tooLarge;
    }
    input.addEventListener("change", fits);
    input.form.addEventListener("submit", function (event) {
      if (!fits()) {
        event.preventDefault();
        input.focus();
      }
    });
  });
});
