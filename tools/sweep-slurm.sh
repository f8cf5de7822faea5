#!/bin/sh
# A traderctl sweep as a Slurm job array: task i runs line i of the jobs
# file (traderctl sweep --emit writes one self-contained replay per line,
# with absolute paths: the config, store, plugins and results directory
# must be at the same paths on every node, e.g. a shared filesystem).
#
#   traderctl sweep -c conf.yaml --grid 'fast=5..19,slow=20..60/10' \
#       --results /shared/sweep --emit /shared/sweep/jobs.txt
#   sbatch --array=1-$(wc -l < /shared/sweep/jobs.txt)%32 \
#       tools/sweep-slurm.sh /shared/sweep/jobs.txt
#   # when every task is done:
#   traderctl sweep --merge /shared/sweep
#
#SBATCH --job-name=traderd-sweep
#SBATCH --cpus-per-task=1
#SBATCH --mem=512M
#SBATCH --time=01:00:00
#SBATCH --output=/dev/null
set -eu
jobs=${1:?usage: sbatch --array=1-N tools/sweep-slurm.sh JOBS.txt}
i=${SLURM_ARRAY_TASK_ID:?run this under sbatch --array}
line=$(sed -n "${i}p" "$jobs")
[ -n "$line" ] || { echo "no line $i in $jobs" >&2; exit 1; }
exec sh -c "$line"
