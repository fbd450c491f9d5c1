/*
 * oci_internal.h - what oci.c shares with oci_convert.c and nothing else:
 * the media type grammar the parser enforces, so that the OCI view never
 * writes a descriptor that the parser (or a strict registry) would refuse.
 */
#ifndef WH_OCI_INTERNAL_H
#define WH_OCI_INTERNAL_H

#include <stdbool.h>

/* RFC 6838 TYPE "/" SUBTYPE, each [A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126},
 * without parameters: the pattern of the image spec's descriptor schema. */
bool wh_oci_media_type_valid(const char *mt);

#endif
