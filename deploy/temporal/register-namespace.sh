#!/bin/sh
# Registers phasegate's namespace and its custom search attributes (SPEC §3) on the compose
# cluster, with the Temporal CLI of the official temporalio/admin-tools image. Run by the
# `temporal-namespace` job of docker-compose.yml; idempotent. The CLI reads TEMPORAL_ADDRESS.
# (Temporal Cloud refuses the operator API: there, add the attributes in the Cloud UI or with tcld.)
set -eu

NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"
WAIT_SECONDS="${TEMPORAL_WAIT_SECONDS:-120}"
# name=type, as `temporal operator search-attribute create` spells the types.
SEARCH_ATTRIBUTES="SirCaseId=Keyword SirCaseStatus=Keyword PlaybookName=Keyword AwaitingApproval=Bool AlertSeverity=Double PhasegateCodeVersion=Keyword"

tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge "$WAIT_SECONDS" ]; then
    echo "Temporal at ${TEMPORAL_ADDRESS:-127.0.0.1:7233} is not serving after $WAIT_SECONDS s" >&2
    exit 1
  fi
  sleep 1
done

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE: already registered"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
    --description "phasegate security-incident cases"
  echo "namespace $NAMESPACE: registered (retention $RETENTION)"
fi

# A new namespace becomes usable once the server's namespace cache has refreshed (up to ~10 s).
tries=0
until existing="$(temporal operator search-attribute list --namespace "$NAMESPACE" 2>/dev/null)"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "namespace $NAMESPACE did not become usable" >&2
    exit 1
  fi
  sleep 1
done

for pair in $SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair#*=}"
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name: already registered"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
    echo "search attribute $name ($type): registered"
  fi
done

# The worker and the API start as soon as this job exits. On SQL stores a custom attribute is an
# alias in the namespace record, which each Temporal service re-reads every few seconds: wait until
# a visibility query naming all of them is accepted, so the first case is never refused for an
# attribute the server does not know yet. (The query's values only need the right types.)
probe=""
for pair in $SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  case "${pair#*=}" in
    Bool) value=true ;;
    Int | Double) value=0 ;;
    *) value="'phasegate-probe'" ;;
  esac
  probe="${probe:+$probe AND }$name = $value"
done
tries=0
until temporal workflow count --namespace "$NAMESPACE" --query "$probe" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "the search attributes of namespace $NAMESPACE did not become usable: $(temporal workflow count --namespace "$NAMESPACE" --query "$probe" 2>&1 | tail -1)" >&2
    exit 1
  fi
  sleep 1
done
echo "search attributes: usable in visibility queries"
