// A file handed to the browser's downloads, from bytes made on the page (nothing is uploaded).

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  // Revoked later, not at once: the download may not have read the blob yet.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveBytes(bytes: Uint8Array, name: string, type: string): void {
  saveBlob(new Blob([bytes as BlobPart], { type }), name);
}
