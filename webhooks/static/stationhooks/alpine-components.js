/*
 * The admin's Alpine.js components, for Alpine's CSP build.
 *
 * The CSP build evaluates x-* attributes without eval: an attribute holds one expression
 * over the component's own data, and names that are not data (the theme's global
 * functions, window, localStorage) are out of reach. So the theme's components are
 * registered here by name, and the page's state, which the theme kept in inline
 * statements, lives in `adminPage`.
 */
document.addEventListener("alpine:init", () => {
  // The theme's components (django-unfold's app.js defines them as global functions).
  for (const name of ["theme", "searchForm", "searchDropdown", "searchCommand"]) {
    if (typeof window[name] === "function") {
      Alpine.data(name, window[name]);
    }
  }

  // The <body>'s state: the active tab of a change form, and the sidebar, open or closed
  // on a desktop (remembered across pages) and on a phone.
  Alpine.data("adminPage", () => ({
    activeTab: "",
    sidebarMobileOpen: false,
    sidebarDesktopOpen: localStorage.getItem("sidebarDesktopOpen") !== "0",

    init() {
      const primaryTab = this.$el.dataset.primaryTab;
      if (primaryTab !== undefined) {
        this.activeTab = getCurrentTab() || primaryTab;
      }
      this.$watch("sidebarDesktopOpen", (open) => {
        localStorage.setItem("sidebarDesktopOpen", open ? "1" : "0");
      });
    },

    // A change form posts back to its own URL, keeping the open tab.
    get changeFormAction() {
      const here = window.location.pathname + window.location.search;
      return this.activeTab && this.activeTab !== "general" ? `${here}#${this.activeTab}` : here;
    },
  }));
});
