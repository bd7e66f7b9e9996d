/*
 * gen_ca — certificates for armsim (armsim gen-ca DIR).
 *
 * Writes into DIR: ca.pem (a CA certificate, for clients' CA bundles: curl --cacert,
 * REQUESTS_CA_BUNDLE), server.pem + server-key.pem (for 127.0.0.1 and localhost, signed by the
 * CA: --tls-cert/--tls-key), and client.pem + client-key.pem (a certificate a world file can
 * register for a principal, to sign client assertions with). Keys are RSA 2048, mode 0600.
 */
#ifndef ARMSIM_GEN_CA_H
#define ARMSIM_GEN_CA_H
#include "lib/strbuf.h"

/* Creates dir if needed and writes the files. Returns 0, or -1 with err set. */
int gen_ca_write(const char *dir, struct strbuf *err);
#endif
