/** The few DOM helpers the views share: building elements without innerHTML, showing and hiding. */

type Child = Node | string;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value !== undefined) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export function show(node: HTMLElement, visible: boolean): void {
  node.hidden = !visible;
}

/** A labelled text field: the label wraps the input, so screen readers name it. */
export function field(label: string, input: HTMLInputElement): HTMLLabelElement {
  return el('label', { class: 'field' }, el('span', {}, label), input);
}
