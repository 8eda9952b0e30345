// The MoJ components' behaviour (sortable tables, date pickers, filter): pages work without it.
import { initAll } from '/moj/moj-frontend.min.js';

initAll();
