/*
 * A long-lived XML Schema validator for the EWS test server: compiles Microsoft's EWS schema
 * (messages.xsd + types.xsd, ~14k lines) ONCE with libxml2 — the library xmllint uses, so the
 * verdicts are xmllint's — and then validates any number of documents read from stdin.
 *
 * Protocol (one request at a time):
 *   in:  "<byte length>\n" followed by exactly that many bytes of XML
 *   out: "OK\n"  or  "FAIL <k>\n" followed by k lines, one error each (newlines flattened)
 * The schema is argv[1]. On a schema that does not compile it prints "SCHEMA <error>" and exits 2.
 *
 * Built by schema-validator.ts with `cc -O2 xsd-validate.c $(xml2-config --cflags --libs)`.
 */
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ERRORS 20
#define ERROR_LEN 600

static char errors[MAX_ERRORS][ERROR_LEN];
static int error_count;

static void record(void *unused, xmlErrorPtr err) {
  (void)unused;
  if (error_count >= MAX_ERRORS || err == NULL) return;
  char *out = errors[error_count++];
  snprintf(out, ERROR_LEN, "line %d: %s", err->line, err->message ? err->message : "(no message)");
  for (char *p = out; *p; p++) {
    if (*p == '\n' || *p == '\r') *p = ' ';
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: xsd-validate SCHEMA.xsd\n");
    return 64;
  }
  xmlInitParser();
  error_count = 0;
  xmlSetStructuredErrorFunc(NULL, record);
  xmlSchemaParserCtxtPtr pctx = xmlSchemaNewParserCtxt(argv[1]);
  xmlSchemaPtr schema = pctx ? xmlSchemaParse(pctx) : NULL;
  if (schema == NULL) {
    printf("SCHEMA %s\n", error_count ? errors[0] : "could not compile");
    fflush(stdout);
    return 2;
  }
  xmlSchemaValidCtxtPtr vctx = xmlSchemaNewValidCtxt(schema);
  xmlSchemaSetValidStructuredErrors(vctx, record, NULL);
  printf("READY\n");
  fflush(stdout);

  size_t capacity = 1 << 20;
  char *buf = malloc(capacity);
  unsigned long length;
  while (scanf("%lu", &length) == 1) {
    if (getchar() != '\n') return 65;
    if (length + 1 > capacity) {
      capacity = length + 1;
      buf = realloc(buf, capacity);
      if (buf == NULL) return 70;
    }
    if (fread(buf, 1, length, stdin) != length) return 66;
    error_count = 0;
    xmlDocPtr doc = xmlReadMemory(buf, (int)length, "message.xml", NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
    int rc = doc ? xmlSchemaValidateDoc(vctx, doc) : -1;
    if (doc) xmlFreeDoc(doc);
    if (rc == 0 && error_count == 0) {
      printf("OK\n");
    } else {
      if (error_count == 0) {
        snprintf(errors[0], ERROR_LEN, "%s", doc ? "invalid" : "not well-formed XML");
        error_count = 1;
      }
      printf("FAIL %d\n", error_count);
      for (int i = 0; i < error_count; i++) printf("%s\n", errors[i]);
    }
    fflush(stdout);
  }
  return 0;
}
