// Small DOM helpers the pages share. The pages never inject HTML: every
// element is made here or in the page's markup, and text is set as text.

/** Makes an element with a class (optional) and text (optional). */
export function el(tag, className, words) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (words !== undefined) e.textContent = words;
  return e;
}

/**
 * Appends a table cell to tr holding content (a Node, or text) and returns
 * it.
 */
export function cell(tr, content, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  tr.append(td);
  return td;
}
