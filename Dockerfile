FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt README.md gunicorn.conf.py ./
COPY webapp webapp
COPY catalog catalog
COPY cli cli
COPY indexer indexer
COPY workers workers
COPY store store
COPY mappings mappings
COPY data data
RUN pip install --no-cache-dir -c constraints.txt -e .
EXPOSE 5000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:5000", "webapp.wsgi:app"]
