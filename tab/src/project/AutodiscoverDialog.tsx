import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
} from '@fluentui/react-components';
import { useEffect, useMemo, useState } from 'react';
import { api, asProblem, type ApiProblem } from '../api/client';
import { fieldProblem } from '../common/field-problem';
import { ProblemBar } from '../common/ProblemBar';
import { bareDomain, destinationFor, discoveredRows, discoverImportBody, domainProblem, type DiscoverImportResult } from './autodiscover';

const useStyles = makeStyles({ stack: { display: 'grid', gap: '12px' }, scroll: { maxHeight: '320px', overflowY: 'auto' } });

/** 501 "unsupported" (an IMAP source) is an answer, not a fault: the API says why and what to do instead. */
const isUnsupported = (p: ApiProblem) => p.status === 501 || p.code === 'unsupported';

/**
 * "Add ▸ Autodiscover Items": lists the mailboxes the source endpoint's admin can reach, lets the
 * admin pick them and a destination domain, and imports the picked ones (the API checks each
 * one is still among what the source admin reaches).
 */
export function AutodiscoverDialog({
  projectId,
  existingSources,
  suggestedDomain,
  onClose,
  onAdded,
}: {
  projectId: string;
  existingSources: readonly string[];
  suggestedDomain: string;
  onClose: () => void;
  onAdded: () => void;
}) {
  const styles = useStyles();
  const [found, setFound] = useState<string[]>();
  const [discoverProblem, setDiscoverProblem] = useState<ApiProblem>();
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [domain, setDomain] = useState(suggestedDomain);
  const [domainTouched, setDomainTouched] = useState(false);
  const [report, setReport] = useState<DiscoverImportResult>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: discovery runs once per opening; a new existingSources array (the grid refreshing) must not POST discover again
  useEffect(() => {
    let live = true;
    api<{ found: string[] }>('POST', `/projects/${projectId}/items/discover`, { body: {} }).then(
      (answer) => {
        if (!live) return;
        setFound(answer.found);
        setPicked(
          new Set(
            discoveredRows(answer.found, existingSources)
              .filter((r) => !r.already)
              .map((r) => r.address),
          ),
        );
      },
      (error) => {
        if (live) setDiscoverProblem(asProblem(error));
      },
    );
    return () => {
      live = false;
    };
    // Discovery runs once per opening; later changes to the grid do not re-run it.
  }, [projectId]);

  const rows = useMemo(() => discoveredRows(found ?? [], existingSources), [found, existingSources]);
  const offered = rows.filter((r) => !r.already);
  const localDomainProblem = domainTouched || picked.size ? domainProblem(domain) : undefined;
  const toggle = (address: string, on: boolean) =>
    setPicked((p) => {
      const next = new Set(p);
      if (on) next.add(address);
      else next.delete(address);
      return next;
    });
  const allState = picked.size === 0 ? false : picked.size === offered.length ? true : 'mixed';

  const add = async () => {
    setDomainTouched(true);
    if (domainProblem(domain)) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const chosen = offered.filter((r) => picked.has(r.address)).map((r) => r.address);
      setReport(
        await api<DiscoverImportResult>('POST', `/projects/${projectId}/items/discover`, { body: discoverImportBody(chosen, domain) }),
      );
      onAdded();
    } catch (error) {
      setProblem(asProblem(error));
    }
    setBusy(false);
  };
  const domainField = fieldProblem(problem, 'destinationDomain');

  return (
    <Dialog open modalType="modal" onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface style={{ maxWidth: '820px' }}>
        <DialogBody>
          <DialogTitle>Autodiscover Items</DialogTitle>
          <DialogContent className={styles.stack}>
            {!found && !discoverProblem && <Spinner label="Asking the source endpoint for its mailboxes" />}
            {discoverProblem &&
              (isUnsupported(discoverProblem) ? (
                <MessageBar intent="warning" role="alert">
                  <MessageBarBody>
                    <MessageBarTitle>Autodiscover is not available for this project</MessageBarTitle>
                    {discoverProblem.detail}
                  </MessageBarBody>
                </MessageBar>
              ) : (
                <ProblemBar problem={discoverProblem} />
              ))}
            {found && !report && (
              <>
                <Text>
                  {found.length === 0
                    ? "The source endpoint's admin reaches no mailbox."
                    : `Found ${found.length} mailbox(es)${rows.length - offered.length ? `, ${rows.length - offered.length} already in the project` : ''}.`}
                </Text>
                <Field
                  label="Destination domain"
                  required
                  hint="Each mailbox keeps its name: alice@source → alice@this domain. Change Domain can adjust later."
                  {...(localDomainProblem ? { validationState: 'error' as const, validationMessage: localDomainProblem } : domainField)}
                >
                  <Input
                    value={domain}
                    placeholder="contoso.com"
                    autoComplete="off"
                    onChange={(_, d) => {
                      setDomain(d.value);
                      setDomainTouched(true);
                    }}
                  />
                </Field>
                {rows.length > 0 && (
                  // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take keyboard focus so keyboard users can scroll it (axe scrollable-region-focusable; the browser tests check it)
                  <section className={styles.scroll} tabIndex={0} aria-label="Discovered mailboxes, scrollable">
                    <Table size="small" aria-label="Discovered mailboxes">
                      <TableHeader>
                        <TableRow>
                          <TableHeaderCell style={{ width: '44px' }}>
                            <Checkbox
                              aria-label="Select all discovered mailboxes"
                              checked={allState}
                              disabled={!offered.length}
                              onChange={(_, d) => setPicked(d.checked === true ? new Set(offered.map((r) => r.address)) : new Set())}
                            />
                          </TableHeaderCell>
                          <TableHeaderCell>Source mailbox</TableHeaderCell>
                          <TableHeaderCell>Destination email</TableHeaderCell>
                        </TableRow>
                      </TableHeader>
                      <TableBody>
                        {rows.map((r) => (
                          <TableRow key={r.address}>
                            <TableCell>
                              <Checkbox
                                aria-label={`Add ${r.address}`}
                                checked={!r.already && picked.has(r.address)}
                                disabled={r.already}
                                onChange={(_, d) => toggle(r.address, d.checked === true)}
                              />
                            </TableCell>
                            <TableCell>{r.address}</TableCell>
                            <TableCell>
                              {r.already ? 'Already an item of this project' : bareDomain(domain) ? destinationFor(r.address, domain) : '—'}
                            </TableCell>
                          </TableRow>
                        ))}
                      </TableBody>
                    </Table>
                  </section>
                )}
              </>
            )}
            {report && (
              <section aria-label="Autodiscover result">
                <MessageBar intent="success" role="status">
                  <MessageBarBody>
                    Added {report.added} item(s).{report.alreadyThere ? ` ${report.alreadyThere} were already items of this project.` : ''}
                  </MessageBarBody>
                </MessageBar>
              </section>
            )}
            <ProblemBar problem={problem} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>{report || discoverProblem ? 'Close' : 'Cancel'}</Button>
            {found && !report && (
              <Button appearance="primary" disabled={busy || picked.size === 0} onClick={add}>
                Add {picked.size} item(s)
              </Button>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
