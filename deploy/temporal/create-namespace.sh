#!/bin/sh
# Shopflow's namespace with its retention (how long closed workflows' histories are kept):
# run by the temporalio/admin-tools image once the server answers. Updates the retention when
# the namespace already exists.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${RETENTION:?}"
if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace update --namespace "$NAMESPACE" --retention "$RETENTION"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
fi
echo "namespace $NAMESPACE: retention $RETENTION"
