#!/usr/bin/env python3
"""A/B of `llmdata tokenize` configurations (and binaries), interleaved: every round runs each
configuration once, so that load from other jobs on a shared machine hits all of them alike.
Reports best and median wall time (`seconds - load_seconds` from --stats) and CPU time (user +
system of the process minus the vocabulary load), and for each binary the cost of writing shards
over `--discard` at --jobs 1 and 2 when both are given.

Usage: bench_tokenize_ab.py ROUNDS 'BIN|ARGS' ...   (IN=file to change the input; run from the repo)
  e.g. bench_tokenize_ab.py 8 "$OLD|--jobs 2 --discard" "$OLD|--jobs 2" "$NEW|--jobs 2 --discard" "$NEW|--jobs 2"
"""
import json, os, resource, subprocess, sys, tempfile, statistics as S
rounds=int(sys.argv[1]); configs=[(a.split('|')[0], a.split('|')[1].split()) for a in sys.argv[2:]]
path=os.environ.get('IN','.data/en-corpus/heldout.jsonl')
wall={i:[] for i in range(len(configs))}; cpu={i:[] for i in range(len(configs))}
with tempfile.TemporaryDirectory() as tmp:
    for _ in range(rounds):
        for i,(binary,args) in enumerate(configs):
            st=os.path.join(tmp,'s.json'); b=resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([binary,'tokenize',path,'--tiktoken','fixtures/tokenize/gpt2.tiktoken','--pattern','gpt2','-o',os.path.join(tmp,'sh'),'--overwrite','--quiet','--stats',st,*args],check=True)
            a=resource.getrusage(resource.RUSAGE_CHILDREN); s=json.load(open(st))
            wall[i].append(1000*(s['seconds']-s['load_seconds'])); cpu[i].append(1000*((a.ru_utime-b.ru_utime)+(a.ru_stime-b.ru_stime)-s['load_seconds']))
res={}
for i,(binary,args) in enumerate(configs):
    res[(binary,' '.join(args))]=(min(wall[i]),min(cpu[i]))
    print(f"{os.path.basename(binary):10s} {' '.join(args):22s} wall min {min(wall[i]):6.1f} med {S.median(wall[i]):6.1f} | cpu min {min(cpu[i]):6.1f} med {S.median(cpu[i]):6.1f}")
bins=sorted(set(b for b,_ in configs))
for b in bins:
    for j in ('1','2'):
        d=res.get((b,f'--jobs {j} --discard')); s=res.get((b,f'--jobs {j}'))
        if d and s: print(f"{os.path.basename(b):10s} jobs {j}: shards add {100*(s[0]/d[0]-1):5.1f}% wall, {100*(s[1]/d[1]-1):5.1f}% CPU (best of {rounds})")
