// Keyboard shortcuts and typing: a single-key shortcut must not fire while the person types into a
// field, nor take a key that the focused control itself uses.

/** True when keys pressed now go into a text field, a select or editable content. */
export function typingIn(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

/** True for a plain key press a single-key shortcut may take (no Ctrl/⌘/Alt, not typed into a field). */
export function shortcutKey(e: KeyboardEvent): boolean {
  return !e.ctrlKey && !e.metaKey && !e.altKey && !typingIn(e.target);
}
