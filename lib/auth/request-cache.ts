import { cache } from "react";
import { currentUser } from "@/lib/auth/session";
import { loadSettings } from "@/lib/settings";

/**
 * Once per request, however many parts of a page ask (the layout, the page, its guard): each is a
 * database read, and a page render asked for both two or three times.
 */
export const requestUser = cache(currentUser);
export const requestSettings = cache(loadSettings);
