/* Volgende Deur: load the parts of a page marked data-fragment after the page itself. Without
   JavaScript the fallback link inside them opens the same content as a page of its own. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-fragment]").forEach(function (section) {
    fetch(section.dataset.fragment, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fallback = section.querySelector(".fragment-fallback");
        if (fallback) { fallback.replaceWith(holder); } else { section.appendChild(holder); }
      })
      .catch(function () { /* keep the fallback link */ });
  });
});
