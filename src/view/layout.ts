import { type Html, html } from "./html.js";

/**
 * Scripts and styles only from the site's own files; nothing else may load: no inline script, no inline
 * style, no image, font, frame, form target or connection. Record content is escaped anyway (html.ts);
 * this is the second wall.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'none'; font-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'";

export interface Crumb {
  label: string;
  /** Path from the site's root folder; absent for the current page. */
  href?: string;
}

export interface PageOptions {
  title: string;
  /** Relative path from this page to the site's root folder ("" or "../../"). */
  root: string;
  crumbs: Crumb[];
  body: Html;
}

/** A whole page: landmarks (banner, navigation, main, contentinfo), a skip link, the site's CSS and script. */
export function page(options: PageOptions): string {
  const { root } = options;
  const crumbs = options.crumbs.map((crumb, i) =>
    crumb.href === undefined || i === options.crumbs.length - 1
      ? html`<li><span aria-current="page">${crumb.label}</span></li>`
      : html`<li><a href="${root + crumb.href}">${crumb.label}</a></li>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · acc view</title>
<link rel="stylesheet" href="${root}site/assets/view.css">
<script src="${root}site/assets/view.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><a href="${root}index.html">acc view</a></p>
<nav aria-label="Breadcrumb"><ol class="crumbs">${crumbs}</ol></nav>
</header>
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${options.body}
</main>
<footer class="bottom"><p>Written by <code>acc view</code>: a static site, no server, nothing loaded from elsewhere.</p></footer>
</body>
</html>
`.text;
}
