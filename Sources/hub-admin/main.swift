print("hub-admin: not built yet")
