# src/tools: (empty for now)
