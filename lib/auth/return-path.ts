// Browsers drop tab, CR and LF anywhere in a URL and trim other controls and spaces at its ends, and they
// read `\` as `/`: "/\t/evil.example" becomes "//evil.example", another site. Any of these, or an
// invisible format character, in the value (also once percent-decoded, for links encoded twice) is refused.
const UNSAFE_CHARACTERS = /[\s\\\p{Cc}\p{Cf}]/u;
const BASE = "http://return-path.invalid";

function decodedForms(value: string): string[] {
  const forms = [value];
  for (let i = 0; i < 3; i++) {
    try {
      const next = decodeURIComponent(forms[forms.length - 1]!);
      if (next === forms[forms.length - 1]) break;
      forms.push(next);
    } catch {
      break;
    }
  }
  return forms;
}

/** Only same-site paths: a sign-in link must not be able to send people to another site. */
export function safeReturnPath(value: string | undefined | null): string {
  if (!value || value.length > 2000 || !value.startsWith("/")) return "/";
  for (const form of decodedForms(value)) {
    if (UNSAFE_CHARACTERS.test(form) || form.startsWith("//")) return "/";
  }
  // Parsed as a browser would, and kept only if it stays here; what is returned is the parsed form, so the
  // browser is given exactly the path that was checked.
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  const path = url.pathname + url.search + url.hash;
  return path.startsWith("/") && !path.startsWith("//") ? path : "/";
}
