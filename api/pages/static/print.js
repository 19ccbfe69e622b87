// hoso: the receipt's print button (a script of this server: the page allows no inline code).
const button = document.getElementById("print");
if (button) button.addEventListener("click", () => window.print());
