// The row menu: one menu element, opened next to the row's "⋯" button.
// It follows the ARIA menu button pattern: arrows move between items, Home
// and End jump, Escape closes and gives focus back to the button, Tab
// closes. A disabled item stays focusable, so its reason can be read.

export class RowMenu {
  /** el is the menu; titleEl names the agent; list holds the items. */
  constructor({el, titleEl, list}) {
    this.el = el;
    this.titleEl = titleEl;
    this.list = list;
    this.anchor = null;
    this.key = ''; // whose menu is open
    el.addEventListener('keydown', (e) => this.onKey(e));
    document.addEventListener('pointerdown', (e) => {
      if (this.anchor && !el.contains(e.target) && !this.anchor.contains(e.target)) this.close(false);
    }, true);
    window.addEventListener('resize', () => this.close(false));
    el.addEventListener('focusout', (e) => {
      if (this.anchor && e.relatedTarget && !el.contains(e.relatedTarget) && e.relatedTarget !== this.anchor) this.close(false);
    });
  }

  get isOpen() {
    return this.anchor !== null;
  }

  /**
   * Opens the menu for key under anchor, with focus on its first usable
   * item. items are {id, label, hint, disabled, tone, run} or
   * {separator: true}.
   */
  open(key, anchor, title, items) {
    if (this.anchor) this.close(false);
    this.key = key;
    this.anchor = anchor;
    anchor.setAttribute('aria-expanded', 'true');
    this.el.setAttribute('aria-label', title);
    this.titleEl.textContent = title;
    this.fill(items);
    this.el.hidden = false;
    this.position();
    const first = this.items().find((b) => b.getAttribute('aria-disabled') !== 'true') || this.items()[0];
    if (first) first.focus({preventScroll: true});
  }

  /** Redraws the items of the open menu (the row changed), keeping focus. */
  refresh(items) {
    if (!this.anchor) return;
    const focused = this.items().indexOf(document.activeElement);
    this.fill(items);
    const all = this.items();
    if (focused >= 0 && all.length) all[Math.min(focused, all.length - 1)].focus({preventScroll: true});
  }

  /** Closes the menu; returnFocus gives focus back to its button. */
  close(returnFocus = true) {
    if (!this.anchor) return;
    const a = this.anchor;
    this.anchor = null;
    this.key = '';
    a.setAttribute('aria-expanded', 'false');
    this.el.hidden = true;
    if (returnFocus && a.isConnected) a.focus({preventScroll: true});
  }

  items() {
    return [...this.list.querySelectorAll('[role="menuitem"]')];
  }

  fill(items) {
    const out = [];
    for (const it of items) {
      if (it.separator) {
        const hr = document.createElement('div');
        hr.className = 'menu-sep';
        hr.setAttribute('role', 'separator');
        out.push(hr);
        continue;
      }
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'menu-item' + (it.tone ? ` menu-${it.tone}` : '');
      b.setAttribute('role', 'menuitem');
      b.tabIndex = -1;
      b.dataset.action = it.id;
      const label = document.createElement('span');
      label.className = 'menu-label';
      label.textContent = it.label;
      b.append(label);
      if (it.hint) {
        const hint = document.createElement('span');
        hint.className = 'menu-hint';
        hint.textContent = it.hint;
        b.append(hint);
      }
      if (it.disabled) {
        b.setAttribute('aria-disabled', 'true');
        if (it.hint) b.title = it.hint;
      }
      b.addEventListener('click', () => {
        if (it.disabled) return;
        this.close(true);
        it.run();
      });
      out.push(b);
    }
    this.list.replaceChildren(...out);
  }

  position() {
    const r = this.anchor.getBoundingClientRect();
    const m = this.el.getBoundingClientRect();
    let top = r.bottom + 4;
    if (top + m.height > window.innerHeight - 8) top = Math.max(8, r.top - m.height - 4);
    const left = Math.min(r.left, window.innerWidth - m.width - 8);
    this.el.style.top = `${Math.round(top)}px`;
    this.el.style.left = `${Math.round(Math.max(8, left))}px`;
  }

  onKey(e) {
    const all = this.items();
    const i = all.indexOf(document.activeElement);
    const go = (j) => {
      e.preventDefault();
      if (all.length) all[(j + all.length) % all.length].focus();
    };
    switch (e.key) {
      case 'ArrowDown':
        return go(i + 1);
      case 'ArrowUp':
        return go(i - 1);
      case 'Home':
        return go(0);
      case 'End':
        return go(all.length - 1);
      case 'Escape':
        e.preventDefault();
        return this.close(true);
      case 'Tab':
        return this.close(false);
    }
  }
}
