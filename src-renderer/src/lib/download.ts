// Files the studio hands to the person: a file-name-safe slug, and text saved through a Blob URL,
// which downloads the same way in the Electron window and in a browser on serve mode.

/** "Depth sweep #2" → "depth-sweep-2": lower case, runs of other characters one dash, ≤ 60 long. */
export function fileSlug(text: string, fallback = 'run'): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60)
      .replace(/-$/, '') || fallback
  );
}

/** Offers `text` as a download named `fileName`. */
export function downloadText(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the Blob after the click returns; the URL lives on a while for a slow start.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
