/**
 * Paths the pages own; everything else (/api, /health, /metrics, /admin) is the API's and keeps its
 * own errors, except /admin/cases, the case import page (/admin/queues stays bull-board's).
 */
export const isPagePath = (url: string): boolean =>
  /^\/admin\/cases(\/|\?|$)/.test(url) || !/^\/(api|health|metrics|admin)(\/|\?|$)/.test(url);
