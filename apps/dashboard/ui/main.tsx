/** The dashboard UI: a header, and the page of the current path. */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api } from './api';
import { TaskDetailPage } from './pages/task-detail';
import { TasksPage } from './pages/tasks';
import { WorkerPage, WorkersPage } from './pages/workers';
import { Link, navigate, useLocation } from './router';
import './style.css';

function App() {
  const { path, query } = useLocation();
  const [readOnly, setReadOnly] = useState<boolean | null>(null);
  useEffect(() => {
    api.config().then((c) => setReadOnly(c.readOnly), () => setReadOnly(true));
  }, []);
  useEffect(() => {
    if (path === '/') navigate('/tasks', true);
  }, [path]);
  const section = path.split('/')[1] ?? '';
  const rest = decodeURIComponent(path.split('/').slice(2).join('/'));
  let page = <p>Not found.</p>;
  if (readOnly === null) page = <p>Loading…</p>;
  else if (section === 'tasks' || section === '') page = <TasksPage query={query} readOnly={readOnly} />;
  else if (section === 'task') page = <TaskDetailPage id={rest} readOnly={readOnly} />;
  else if (section === 'workers') page = <WorkersPage />;
  else if (section === 'worker') page = <WorkerPage name={rest} />;
  return (
    <>
      <header>
        <strong>cq dashboard</strong>
        <nav>
          <Link to="/workers" className={section.startsWith('worker') ? 'active' : ''}>Workers</Link>
          <Link to="/tasks" className={section.startsWith('task') || section === '' ? 'active' : ''}>Tasks</Link>
        </nav>
        {readOnly ? <span className="badge" data-testid="read-only">read-only</span> : null}
      </header>
      <main>{page}</main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
