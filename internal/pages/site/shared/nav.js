// The page links in the top bar: Phone, Monitor, Call history and Admin,
// each shown only to the roles that may use that page, the current one
// marked. A page includes it with
//   <script type="module" src="/shared/nav.js"></script>
// and it fills in once the page shows who is signed in (#who).

import {asUser, me} from '/shared/api.js';

// PAGES are the links, in order, with the roles that see each.
const PAGES = [
  {path: '/phone', words: 'Phone', roles: ['agent', 'supervisor']},
  {path: '/monitor', words: 'Monitor', roles: ['supervisor', 'admin']},
  {path: '/history/', words: 'Call history', roles: ['supervisor', 'admin']},
  {path: '/admin', words: 'Admin', roles: ['admin']},
];

function here(path) {
  const p = location.pathname.replace(/\/+$/, '');
  return p === path.replace(/\/+$/, '');
}

async function fill(who) {
  let user;
  try {
    user = await me();
  } catch {
    return; // signed out: the page shows its sign-in
  }
  const roles = user.roles || [];
  const nav = document.createElement('nav');
  nav.className = 'page-nav';
  nav.id = 'page-nav';
  nav.setAttribute('aria-label', 'Pages');
  for (const p of PAGES) {
    if (!p.roles.some((r) => roles.includes(r))) continue;
    const a = document.createElement('a');
    a.href = asUser(p.path);
    a.textContent = p.words;
    if (here(p.path)) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  if (nav.children.length < 2) return; // one page only: nothing to choose
  document.getElementById('page-nav')?.remove();
  for (const old of who.querySelectorAll('.topbar-link')) old.remove();
  who.prepend(nav);
}

function watch() {
  const who = document.getElementById('who');
  if (!who) return;
  let shown = false;
  const check = () => {
    if (!who.hidden && !shown) {
      shown = true;
      fill(who);
    } else if (who.hidden) {
      shown = false; // signed out: fill again at the next sign-in
    }
  };
  new MutationObserver(check).observe(who, {attributes: true, attributeFilter: ['hidden']});
  check();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', watch);
} else {
  watch();
}
