/**
 * The taskpane inside Outlook: Office.js (loaded by index.html only when Outlook hosts the page)
 * gives the mailbox owner's address and the message being read, which holds the credential link.
 */

/** The part of Office.js this page uses (@microsoft/office-js dist/office.d.ts). */
interface OfficeJs {
  onReady(): Promise<{ host: string | null }>;
  context: { mailbox?: OfficeMailbox };
  CoercionType: { Html: string };
}
interface OfficeMailbox {
  userProfile: { emailAddress: string; displayName: string };
  item?: {
    body: {
      getAsync(coercionType: string, callback: (result: { status: string; value: string; error?: { message: string } }) => void): void;
    };
  };
}

export interface OutlookContext {
  /** Office.context.mailbox.userProfile: whose mailbox Outlook has open. */
  ownerAddress: string;
  ownerName: string;
  /** The credential link's token, found in the message being read (the request e-mail). */
  token?: string;
}

/** How long Office.js may take to answer before the page carries on as a plain web page. */
const OFFICE_READY_TIMEOUT_MS = 10_000;
const LINK_TOKEN = /#token=([A-Za-z0-9._-]+)/;

/** The Outlook context when Outlook hosts this page; undefined on a plain web page. */
export async function outlookContext(): Promise<OutlookContext | undefined> {
  const office = (window as { Office?: OfficeJs }).Office;
  if (!office) return undefined;
  const ready = await Promise.race([office.onReady(), new Promise<undefined>((resolve) => setTimeout(resolve, OFFICE_READY_TIMEOUT_MS))]);
  const mailbox = office.context.mailbox;
  if (ready?.host !== 'Outlook' || !mailbox) return undefined;
  const body = await new Promise<string>((resolve) => {
    if (!mailbox.item) return resolve('');
    mailbox.item.body.getAsync(office.CoercionType.Html, (result) => resolve(result.status === 'succeeded' ? result.value : ''));
  });
  return { ownerAddress: mailbox.userProfile.emailAddress, ownerName: mailbox.userProfile.displayName, token: LINK_TOKEN.exec(body)?.[1] };
}
