#!/usr/bin/env python3
"""Prints datatrove's PUNCTUATION_SET as code points (for Sources/LLMDataFilter/Punctuation.swift)."""
from datatrove.utils.text import PUNCTUATION_SET

print(", ".join(f"0x{c:X}" for c in sorted(ord(ch) for ch in PUNCTUATION_SET)))
