print("hub-bench: not written yet")
