/* catalog_blob.h - the catalogue files as embedded bytes; the definitions are
 * generated at build time by cmake/embed.cmake from src/teach/catalog/<lang>.txt. */
#ifndef TCPSIM_TEACH_CATALOG_BLOB_H
#define TCPSIM_TEACH_CATALOG_BLOB_H

#include <stddef.h>

struct tcpsim__catalog_blob {
    const char *lang; /* "en", from the file name */
    const char *file; /* "en.txt", for error messages */
    const unsigned char *data;
    size_t len;
};

extern const struct tcpsim__catalog_blob tcpsim__catalog_blobs[];
extern const size_t tcpsim__catalog_nblobs;

#endif
