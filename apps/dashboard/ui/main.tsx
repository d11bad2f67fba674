/** The dashboard UI: a header, and the page of the current path (`/` is the cluster overview). */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api } from './api';
import { BeatPage } from './pages/beat';
import { OverviewPage } from './pages/overview';
import { QueuesPage } from './pages/queues';
import { TaskDetailPage } from './pages/task-detail';
import { TasksPage } from './pages/tasks';
import { WorkerPage, WorkersPage } from './pages/workers';
import { Link, useLocation } from './router';
import './style.css';

function App() {
  const { path, query } = useLocation();
  const [readOnly, setReadOnly] = useState<boolean | null>(null);
  useEffect(() => {
    api.config().then((c) => setReadOnly(c.readOnly), () => setReadOnly(true));
  }, []);
  const section = path.split('/')[1] ?? '';
  const rest = decodeURIComponent(path.split('/').slice(2).join('/'));
  let page = <p>Not found.</p>;
  if (readOnly === null) page = <p>Loading…</p>;
  else if (section === '') page = <OverviewPage query={query} />;
  else if (section === 'tasks') page = <TasksPage query={query} readOnly={readOnly} />;
  else if (section === 'task') page = <TaskDetailPage id={rest} readOnly={readOnly} />;
  else if (section === 'workers') page = <WorkersPage />;
  else if (section === 'worker') page = <WorkerPage name={rest} readOnly={readOnly} />;
  else if (section === 'queues') page = <QueuesPage readOnly={readOnly} />;
  else if (section === 'beat') page = <BeatPage />;
  return (
    <>
      <header>
        <strong>cq dashboard</strong>
        <nav>
          <Link to="/" className={section === '' ? 'active' : ''}>Overview</Link>
          <Link to="/tasks" className={section.startsWith('task') ? 'active' : ''}>Tasks</Link>
          <Link to="/workers" className={section.startsWith('worker') ? 'active' : ''}>Workers</Link>
          <Link to="/queues" className={section === 'queues' ? 'active' : ''}>Queues</Link>
          <Link to="/beat" className={section === 'beat' ? 'active' : ''}>Beat</Link>
        </nav>
        {readOnly ? <span className="badge" data-testid="read-only">read-only</span> : null}
      </header>
      <main>{page}</main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
