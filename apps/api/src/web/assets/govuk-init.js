// govuk-frontend's components' behaviour (character counts, error summary focus...): pages work without it.
import { initAll } from '/govuk/govuk-frontend.min.js';

initAll();
