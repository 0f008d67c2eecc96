import { assignment } from "./assignment.js";
import { commandLine } from "./command-line.js";
import type { Detector } from "./detector.js";
import { authorizationHeader, basic, bearer, cookie } from "./headers.js";
import { iban, ipv4, ipv6, paymentCard, phoneField, phoneNumber } from "./numbers.js";
import { email, homeUser } from "./personal.js";
import { privateKey } from "./private-key.js";
import { urlCredentials } from "./urls.js";
import { VENDOR_DETECTORS } from "./vendor.js";

export type { Detector, Finding } from "./detector.js";

/**
 * Every detector, most specific first: the order is the priority when two findings overlap (a vendor's
 * key over a generic assignment, a URL password over an e-mail-looking `pass@host`, a card over a phone).
 */
export const DETECTORS: readonly Detector[] = [
  ...VENDOR_DETECTORS,
  privateKey,
  urlCredentials,
  authorizationHeader,
  bearer,
  basic,
  cookie,
  commandLine,
  assignment,
  paymentCard,
  iban,
  phoneField,
  phoneNumber,
  ipv4,
  ipv6,
  email,
  homeUser,
];
