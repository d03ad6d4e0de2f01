# src/tools: (to be filled)
