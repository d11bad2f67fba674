/**
 * The HTTP API of the Nest example, the same as the Express one: `POST /add {"x": 2, "y": 3}`
 * answers 202 with the task's id and state (`?wait=1`: 200 with its result, within 10 s), `GET
 * /result/:id` answers its state and result; a body that is not two numbers answers 400.
 */
import { BadRequestException, Body, Controller, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { operands, type TaskStatus } from '../frameworks/tasks.js';
import { TasksService } from './tasks.service.js';

@Controller()
export class AddController {
  constructor(@Inject(TasksService) private readonly tasks: TasksService) {}

  @Post('add')
  async add(
    @Body() body: unknown,
    @Query('wait') wait: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TaskStatus> {
    const args = operands(body);
    if (!args) throw new BadRequestException('expected a JSON body {"x": number, "y": number}');
    const result = await this.tasks.add(...args);
    res.status(wait ? 200 : 202);
    return this.tasks.status(result.id, Boolean(wait));
  }

  @Get('result/:id')
  result(@Param('id') id: string): Promise<TaskStatus> {
    return this.tasks.status(id);
  }
}
