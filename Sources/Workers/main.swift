print("hub-workers: not built yet")
