"""``python -m bench``: run every benchmark in turn."""

if __name__ == "__main__":
    print("no benchmarks yet")
