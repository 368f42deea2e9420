/** Attachment checks (size, type) and the upload to the gateway's widget API. */

export const MAX_BYTES = 10 * 1024 * 1024;
export const ACCEPT = 'image/*,application/pdf,text/plain,.pdf,.txt';
const TYPES = ['application/pdf', 'text/plain'];
const EXTENSIONS = /\.(pdf|txt|png|jpe?g|gif|webp)$/i;

export function checkFile(file) {
  const typeOk = file.type
    ? file.type.startsWith('image/') || TYPES.includes(file.type)
    : EXTENSIONS.test(file.name);
  if (!typeOk) return `${file.name}: only images, PDF and text files can be sent.`;
  if (file.size > MAX_BYTES) return `${file.name} is larger than 10 MB.`;
  return null;
}

export async function uploadFile(gateway, visitorToken, file) {
  const body = new FormData();
  body.append('file', file, file.name);
  let response;
  try {
    response = await fetch(`${gateway}/widget/api/uploads`, {
      method: 'POST',
      headers: { 'X-Visitor-Token': visitorToken },
      body,
    });
  } catch (_err) {
    throw new Error(`${file.name} could not be uploaded: the connection failed.`);
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(describeFailure(file, answer.detail));
  }
  return answer;
}

function describeFailure(file, detail) {
  // FastAPI validation errors carry a list; plain errors a string.
  const text = typeof detail === 'string' ? detail : 'the server refused it';
  return `${file.name} could not be uploaded: ${text}.`;
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
