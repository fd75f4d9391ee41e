#!/bin/bash
# tropcert certify as a Slurm job array: one task per shard, K = SLURM_ARRAY_TASK_ID (1…N).
# Submit from a directory holding the inputs (shared with the nodes), then merge once all
# tasks have finished (the second command waits for the array with a dependency):
#   jid=$(sbatch --parsable examples/cluster/slurm-array.sh)
#   sbatch --dependency=afterok:$jid --wrap 'tropcert merge report.json report-*-of-8.json'
# Edit: N (the --array range and SHARDS agree), the inputs, and how Node 20 and tropcert are
# loaded on your cluster (a module, `npm install -g tropcert`, or the repository's bin).
#SBATCH --job-name=tropcert-certify
#SBATCH --array=1-8
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=24:00:00
#SBATCH --output=tropcert-%A-%a.log
set -euo pipefail
SHARDS=8
K=${SLURM_ARRAY_TASK_ID}
tropcert certify examples/digits/network.json \
  --data examples/digits/digits_test.csv --domain box:0,16 \
  --shard "$K/$SHARDS" --out "report-$K-of-$SHARDS.json"
