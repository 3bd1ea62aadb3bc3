// The service's one script, loaded as <script type="module"> (the CSP allows no inline
// scripts). Pages work without it; it only enhances them.
import { initAll as initGovukFrontend } from 'govuk-frontend'
import { initAll as initMojFrontend } from '@ministryofjustice/frontend'
import htmx from 'htmx.org'

// GOV.UK Frontend's usual inline snippet: styles for JavaScript-enhanced components key
// off these classes. Module scripts only run in browsers GOV.UK Frontend supports.
document.body.classList.add('js-enabled', 'govuk-frontend-supported')

// Among others this starts GOV.UK's service navigation script, which collapses the staff
// navigation behind its "Menu" button on small screens (data-module="govuk-service-navigation"
// in templates/layouts/staff.html): the button's aria-expanded and the list's hidden attribute.
initGovukFrontend()
initMojFrontend()

// hx-* attributes need htmx on window. Its settings come from <meta name="htmx-config">
// in base.html (no inline indicator styles, no eval: both would break the CSP).
window.htmx = htmx

// Components inside content that htmx swaps in (search results, progress fragments)
// need initialising too. The first load event is for <body>, already done above.
htmx.onLoad((element) => {
  if (element === document.body || !(element instanceof Element)) {
    return
  }
  initGovukFrontend({ scope: element })
  initMojFrontend({ scope: element })
})
