/** Paths the pages own; everything else (/api, /health, /metrics, /admin) is the API's and keeps its own errors. */
export const isPagePath = (url: string): boolean => !/^\/(api|health|metrics|admin)(\/|\?|$)/.test(url);
